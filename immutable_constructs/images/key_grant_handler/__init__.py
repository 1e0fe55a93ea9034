"""Key grant Lambda of ImageKeyGrant: lets this account's Auto Scaling role use a shared AMI's key."""
