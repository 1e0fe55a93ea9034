"""cdk-gitlab-runner: GitLab runners in an Auto Scaling group."""

from aws_cdk import App, Stack

ORIGIN = {
    "kind": "pypi",
    "package": "cdk-gitlab-runner==2.4.74",
    "source": "https://github.com/neilkuan/cdk-gitlab-runner",
    "author": "Neil Kuan",
}


def build(app: App) -> None:
    from cdk_gitlab_runner import GitlabRunnerAutoscaling

    stack = Stack(app, "GitlabRunners")
    GitlabRunnerAutoscaling(stack, "Runners", gitlab_token="glrt-GITLABTOKEN", gitlab_runner_version="17.4.0")
