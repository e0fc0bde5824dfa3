"""Where Switchboard runs: the declaration of its functions and resources, the CDK app (AWS) and the
local runtime (this machine). Both are built from ``declaration``, so they cannot drift apart."""
