"""Chinese (issue 19), `marketing-agent eval chinese [--part P]`: routing Chinese requests (`routing`, report
eval/reports/chinese-routing.md) and, for Chinese reviews, language identification, sentiment against snownlp and
embeddings for Chinese retrieval. One module per part, each with `run(report, quick, scratch, console)`. The review
parts also run together with `python -m eval.suites.chinese [--quick]` (report: eval/reports/chinese-reviews.md),
or one with `python -m eval.suites.chinese.<part> [--quick]`."""

PARTS = ("language", "sentiment", "embeddings")
