#!/usr/bin/env bash
# The run command: the worker in local workerd in front of the Django demo origin.
# The worker front is not built yet (issue 4); until then this says so and fails.
echo "[run] not available yet: the Cloudflare Worker front arrives with the worker issue." >&2
echo "[run] today edgecache is the core library; try 'make test'." >&2
exit 2
