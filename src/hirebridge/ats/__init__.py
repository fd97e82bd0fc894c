"""The ATS API: Ashby-compatible RPC endpoints over the core records, including candidate.pushToHris."""
