"""The KV cache panel, its GPU box, the memory gauge and the plan's presentation."""
