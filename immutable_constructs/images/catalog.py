"""A versioned AMI catalog on SSM Parameter Store: one parameter per image line and channel.

``AmiCatalog(scope, "Images", lines=["web"])`` names the parameters ``/images/web/candidate``
and ``/images/web/stable`` (data type ``aws:ec2:image``). Every write makes a new parameter
version, so "version 17 of /images/web/stable" names one AMI forever (while SSM keeps it:
the 100 newest versions). Fleets pin a version with :meth:`AmiCatalog.machine_image`, which
returns a :class:`~immutable_constructs.PinnedSsmImage`; releasing is pinning a newer
version, rolling back is pinning an older one.

Who owns the parameters: their **writers**, never CloudFormation. Image Builder's
distribution creates and updates ``candidate`` (it creates a parameter that does not exist
yet), and the promotion function of :class:`~immutable_constructs.GoldenImagePipeline`
creates and updates the next channel and tags both. If CloudFormation created them with a
seed value, any later stack update that touched the resource (a tag, a description) would
write the seed again as a new version on top of the promoted AMI, and deleting the stack
would delete the parameter and its whole version history, breaking every pin. So this
construct creates no ``AWS::SSM::Parameter``: it is the naming scheme, the pins and the
grants.

Across accounts: ``share_with=[organization or OU ARNs, account ids]`` shares the promoted channel of
each line (``stable``) through AWS RAM (one ``AWS::RAM::ResourceShare``; the promotion function writes
the parameter in the advanced tier and adds it to the share, ``_sharing.py`` says why and what it
costs). A fleet in another account reads it with ``AmiCatalog(..., owner_account="<owner>")``: its
:meth:`machine_image` pins the shared parameter's ARN at a version, so every account of a release runs
the image that version names in the owner's account.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ram as ram
from constructs import Construct

from .._private.origin import record_origin
from .._private.props import Rule, checked
from .._private.validation import SSM_PARAMETER_NAME_MAX, Problems, is_unresolved
from ._props import ARN_PLACE, CATALOG, LINE_AND_CHANNEL
from ._sharing import check_sharing, create_share
from .pinned import PinnedSsmImage

__all__ = ["AmiCatalog"]

# One level of an SSM parameter name: letters, digits, '.', '-', '_' (no '/').
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
_PREFIX = re.compile(r"^(/[A-Za-z0-9_.\-]+)+$")
_RESERVED = ("aws", "ssm")  # names may not start with these (any case)
CONTEXT_KEY_PREFIX = "images"


class AmiCatalog(Construct):
    """Names, pins and grants of a catalog of AMIs kept in SSM parameters.

    :param prefix: the parameters' path prefix. Default ``"/images"``. Must start with ``/``,
        not end with it, and must not start with ``/aws`` or ``/ssm`` (reserved by AWS).
    :param lines: image lines (e.g. ``"web"``, ``"worker"``). Default ``("web",)``. Letters,
        digits, ``.``, ``-`` and ``_``.
    :param channels: channels in promotion order. Default ``("candidate", "stable")``: Image
        Builder writes the first, promotion moves an image to the next one. At least two, same
        characters as lines.
    :param share_with: organizations (ARN), organizational units (ARN) and accounts (12-digit id) the
        promoted channel of every line is shared with through AWS RAM (``catalog.share``), read-only.
        Default: none (not shared). Sharing makes each shared parameter advanced-tier (USD 0.05 a month
        each, docs/golden-images.md, "Organization-wide catalog"); only this stack's region is shared.
    :param allow_external_principals: let ``share_with`` name accounts outside your organization (they
        must accept RAM's invitation). Default ``False``: RAM refuses principals outside the organization.
    :param owner_account: the account that owns the parameters and shares them with this one: pins then
        name the parameter by its ARN in that account (and this stack's region). Default: this stack's
        account (the parameters are this account's own).

    The parameter of a line and channel is ``<prefix>/<line>/<channel>``. The construct creates
    no parameters (see the module docstring for why the writers own them); with ``share_with`` it
    creates the resource share.
    """

    @checked(**CATALOG)
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        prefix: str = "/images",
        lines: Sequence[str] = ("web",),
        channels: Sequence[str] = ("candidate", "stable"),
        share_with: Sequence[str] = (),
        allow_external_principals: bool = False,
        owner_account: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        problems = Problems(self)
        problems.instance("prefix", prefix, str, what="a string", fix="e.g. '/images'")
        for prop, names in (("lines", lines), ("channels", channels)):
            if problems.sequence(prop, names, item="names"):
                for index, name in enumerate(names):
                    problems.instance(f"{prop}[{index}]", name, str, what="a string", fix="e.g. 'web'")
        problems.raise_if_any()
        _check_names(problems, prefix, lines, channels)
        check_sharing(
            problems, share_with=share_with, owner_account=owner_account, stack_account=Stack.of(self).account
        )
        problems.raise_if_any()
        self.owner_account = owner_account
        #: The resource share of the promoted channels (``None`` without ``share_with``).
        self.share: ram.CfnResourceShare | None = (
            create_share(
                self, prefix=prefix, share_with=share_with, allow_external_principals=allow_external_principals
            )
            if share_with
            else None
        )
        self.prefix = prefix
        self.lines: tuple[str, ...] = tuple(lines)
        self.channels: tuple[str, ...] = tuple(channels)

    @property
    def first_channel(self) -> str:
        """The channel Image Builder writes new images to (``candidate`` by default)."""
        return self.channels[0]

    @checked(channel=LINE_AND_CHANNEL["channel"])
    def next_channel(self, channel: str) -> str | None:
        """The channel an image of ``channel`` is promoted to, or ``None`` for the last one."""
        self._check(self.lines[0], channel)
        index = self.channels.index(channel)
        return self.channels[index + 1] if index + 1 < len(self.channels) else None

    @checked(**LINE_AND_CHANNEL)
    def parameter_name(self, line: str, channel: str) -> str:
        """``<prefix>/<line>/<channel>``, e.g. ``/images/web/stable``."""
        self._check(line, channel)
        return f"{self.prefix}/{line}/{channel}"

    @checked(**LINE_AND_CHANNEL, **ARN_PLACE)
    def parameter_arn(self, line: str, channel: str, *, region: str | None = None, account: str | None = None) -> str:
        """The parameter's ARN in the owner's account (``owner_account``, or this stack's) and this stack's
        region, or the ones given."""
        return Stack.of(self).format_arn(
            service="ssm",
            resource="parameter",
            resource_name=self.parameter_name(line, channel).lstrip("/"),
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            region=region,
            account=account or self.owner_account,
        )

    @staticmethod
    @checked(**LINE_AND_CHANNEL)
    def context_key(line: str, channel: str) -> str:
        """The CDK context key that carries a pin: ``images.<line>.<channel>``."""
        return f"{CONTEXT_KEY_PREFIX}.{line}.{channel}"

    @checked(**LINE_AND_CHANNEL)  # the version: checked below (a context value may give it)
    def machine_image(self, line: str, *, channel: str = "stable", version: int | None = None) -> PinnedSsmImage:
        """The AMI that version ``version`` of ``<prefix>/<line>/<channel>`` holds, pinned.

        ``{{resolve:ssm:/images/web/stable:17}}`` goes into the template: a new image is an
        explicit diff, rollback is pinning the previous version. With ``version=None`` the
        version comes from the context key ``images.<line>.<channel>``, kept in git in the app's
        ``cdk.json`` (``"context": {"images.web.stable": 17}``) so a release or a rollback is a
        one-line pull request; without either, a ValidationError that names the key to add.
        With ``owner_account`` the pin names the shared parameter's ARN
        (``resolve:ssm:arn:...:parameter/images/web/stable:17``, resolved by EC2 at launch, at that version):
        version 17 is the owner's version 17 in every account.

        :param channel: the channel whose parameter is pinned. Default: ``"stable"``.
        :param version: the parameter version. Default: the context value ``images.<line>.<channel>``.
        """
        self._check(line, channel)
        problems = Problems(self)
        key = self.context_key(line, channel)
        if version is None:
            raw = self.node.try_get_context(key)
            if raw is None:
                problems.add(
                    "version",
                    None,
                    f"no image pin: no version given and no context value {key!r}",
                    f'add "{key}": N to the "context" object of the app\'s cdk.json and commit it, where N is '
                    f"the version of {self.parameter_name(line, channel)} to run (list them with `aws ssm "
                    f"get-parameter-history --name {self.parameter_name(line, channel)}`); or pass version=N",
                )
                problems.raise_if_any()
            try:
                if isinstance(raw, bool) or re.fullmatch(r"[0-9]+", str(raw)) is None:  # no "17\n", no "True"
                    raise ValueError(raw)
                version = int(str(raw))
            except ValueError:
                problems.add(
                    "version",
                    raw,
                    f"context value {key!r} is not an integer",
                    f'use a number, e.g. "{key}": 17 in cdk.json',
                )
                problems.raise_if_any()
        problems.require(
            is_unresolved(version) or (isinstance(version, int) and not isinstance(version, bool) and version >= 1),
            "version",
            version,
            "must be a positive integer parameter version",
            "pin the version to deploy, e.g. version=17 (`aws ssm get-parameter-history`)",
        )
        problems.raise_if_any()
        # An int, or a number token (CfnParameter.value_as_number) that CloudFormation resolves.
        name = self.parameter_name(line, channel)
        if self.owner_account is not None:
            name = self.parameter_arn(line, channel)
        return PinnedSsmImage(name, version=cast(int, version))

    @checked(line=LINE_AND_CHANNEL["line"], grantee=Rule(any_region="IAM is global"))
    def grant_read(self, grantee: iam.IGrantable, *, line: str | None = None) -> iam.Grant:
        """Let ``grantee`` read the catalog's parameters and their history (one line, or all)."""
        lines = [line] if line is not None else list(self.lines)
        arns = [self.parameter_arn(each, channel) for each in lines for channel in self.channels]
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory", "ssm:DescribeParameters"],
            resource_arns=arns,
        )

    def _check(self, line: str, channel: str) -> None:
        problems = Problems(self)
        problems.require(
            line in self.lines,
            "line",
            line,
            f"is not an image line of this catalog ({', '.join(self.lines)})",
            "use one of the catalog's lines or add it to lines=[...]",
        )
        problems.require(
            channel in self.channels,
            "channel",
            channel,
            f"is not a channel of this catalog ({', '.join(self.channels)})",
            "use one of the catalog's channels or add it to channels=[...]",
        )
        problems.raise_if_any()


def _check_names(problems: Problems, prefix: str, lines: Sequence[str], channels: Sequence[str]) -> None:
    """The prefix, lines and channels make valid SSM parameter names (collected, not raised)."""
    longest = max((len(n) for n in lines), default=0) + max((len(n) for n in channels), default=0)
    problems.require(
        len(prefix) + 2 + longest <= SSM_PARAMETER_NAME_MAX,
        "prefix",
        prefix,
        f"prefix/line/channel would exceed SSM's {SSM_PARAMETER_NAME_MAX} characters for a parameter name",
        "shorten the prefix or the longest line and channel names",
    )
    problems.require(
        bool(_PREFIX.fullmatch(prefix)) and len(prefix) <= 900,
        "prefix",
        prefix,
        "is not an SSM parameter path prefix",
        "start with '/', no trailing '/', letters, digits, '.', '-', '_', e.g. '/images'",
    )
    problems.require(
        not prefix.lstrip("/").lower().startswith(_RESERVED),
        "prefix",
        prefix,
        "SSM parameter names starting with 'aws' or 'ssm' are reserved",
        "choose another prefix, e.g. '/images'",
    )
    problems.require(
        prefix.count("/") <= 13,
        "prefix",
        prefix,
        "leaves no room for line and channel within SSM's 15 hierarchy levels",
        "use a shorter path",
    )
    for prop, names in (("lines", lines), ("channels", channels)):
        for name in names:
            problems.require(
                isinstance(name, str) and bool(_SEGMENT.fullmatch(name)),
                prop,
                name,
                "contains characters SSM parameter names do not allow (or is empty or longer than 128)",
                "use letters, digits, '.', '-' and '_' only, e.g. 'stable'",
            )
        problems.require(len(set(names)) == len(names), prop, list(names), "has duplicates", "list each name once")
    problems.require(len(lines) >= 1, "lines", list(lines), "is empty", "name at least one image line")
    problems.require(
        len(channels) >= 2,
        "channels",
        list(channels),
        "needs at least two channels: one written by the pipeline, one promoted to",
        "use e.g. ['candidate', 'stable']",
    )
