"""What the data look like: one spec per sheet of a return (``sheets``), per office file (``office``) and per
table a step writes (``tables``). Plain data, stdlib only."""
