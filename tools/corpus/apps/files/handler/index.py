"""A minimal handler for the corpus's Lambda apps (the samples' own handlers only log or echo)."""


def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
