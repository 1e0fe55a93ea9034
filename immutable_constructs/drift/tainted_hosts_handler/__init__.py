"""The tainted-host replacement function (bundled as a Lambda asset; boto3 only)."""
