"""`python -m eval.suites.chinese [--quick]`: every Chinese-reviews part into eval/reports/chinese-reviews.md."""

from eval.suites.chinese import PARTS
from eval.suites.chinese.standalone import main

main(PARTS, "chinese-reviews", "eval.suites.chinese")
