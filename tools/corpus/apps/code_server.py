"""cdk-code-server: a VS Code server on an EC2 instance reached through CloudFront."""

from aws_cdk import App, Stack

ORIGIN = {
    "kind": "pypi",
    "package": "cdk-code-server==1.0.13",
    "source": "https://github.com/badmintoncryer/cdk-code-server",
    "author": "Kazuho CryerShinozuka",
}


def build(app: App) -> None:
    from cdk_code_server import CodeServer

    stack = Stack(app, "CodeServer")
    CodeServer(stack, "Server")
