"""cdk-gitlab-runner: a GitLab runner on one EC2 instance (the README's placeholder token)."""

from aws_cdk import App, Stack

ORIGIN = {
    "kind": "pypi",
    "package": "cdk-gitlab-runner==2.4.74",
    "source": "https://github.com/neilkuan/cdk-gitlab-runner",
    "author": "Neil Kuan",
}


def build(app: App) -> None:
    from cdk_gitlab_runner import GitlabContainerRunner

    stack = Stack(app, "GitlabRunner")
    GitlabContainerRunner(
        stack, "Runner", gitlabtoken="glrt-GITLABTOKEN", gitlab_runner_version="17.4.0", ec2type="t3.small"
    )
