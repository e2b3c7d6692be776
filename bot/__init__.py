"""The HiB2B help desk: configuration, domain rules, use cases and outbound adapters."""
