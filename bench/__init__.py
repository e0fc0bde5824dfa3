"""`make bench`: what a message costs, measured side by side with its reference in the same run.

Each figure is a ratio against a reference measured in the same process and the same minute (the bare
SQS call, `import boto3`, pywa's parser, the configured send rate), so the machine's speed cancels out.
Run with `.venv/bin/python -m bench`; results go to bench/results/latest.json and docs/performance.md.
"""
