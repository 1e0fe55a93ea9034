"""The orders API: answers GET /orders/{id} from the API and order messages from the queue."""

import json
import os


def handler(event, context):
    if "Records" in event:  # SQS: one batch of order messages
        return {"batchItemFailures": []}
    order = (event.get("pathParameters") or {}).get("id", "")
    body = {"order": order, "table": os.environ.get("TABLE_NAME", "")}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
