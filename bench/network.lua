-- wrk script for bench/api_bench.py: network(depth: 2) of children read from a file,
-- one per line, in turn. Arguments after "--": the bearer token and the file of ids.
local bodies = {}
local headers = {}
local n = 0
local query = "query($c: ID!) { network(centre: $c, depth: 2) { nodes { id kind name } edges { type source target } } }"

function init(args)
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. args[1]
  headers["X-Purpose"] = "benchmark"
  for id in io.lines(args[2]) do
    bodies[#bodies + 1] = '{"query": "' .. query .. '", "variables": {"c": "' .. id .. '"}}'
  end
end

function request()
  n = n + 1
  return wrk.format("POST", "/graphql", headers, bodies[(n % #bodies) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.1f %.1f\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration, latency:percentile(95), latency:percentile(50)))
end
