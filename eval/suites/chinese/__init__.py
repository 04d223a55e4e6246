"""Chinese reviews (issue 19): language identification, sentiment against snownlp, and embeddings for Chinese
retrieval. One module per part, each with `run(report, quick, scratch, console)`; run them all with
`python -m eval.suites.chinese [--quick]` (report: eval/reports/chinese-reviews.md), or one with
`python -m eval.suites.chinese.<part> [--quick]`."""

PARTS = ("language", "sentiment", "embeddings")
