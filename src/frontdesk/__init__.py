"""frontdesk: a production runtime for multi-agent LLM systems."""
