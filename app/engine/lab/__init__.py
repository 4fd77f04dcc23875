"""The KV lab: what each K/V precision costs a model in quality (KL divergence) and speed."""
