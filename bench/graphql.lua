-- wrk script: POST /graphql with the query in $QUERY (one $id variable), ids drawn
-- from the file named by $IDS, bearer tokens from $TOKENS (comma-separated; one
-- caller per token, used in turn, so that a load of many investigators is not
-- measured as one token's rate limit). Prints one JSON line; "rps" counts only the
-- answers that were not errors (a 429 or 5xx is an error, not throughput).
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local tokens = {}
for token in string.gmatch(os.getenv("TOKENS"), "[^,]+") do tokens[#tokens + 1] = token end
local query = os.getenv("QUERY")
local counter = 0
request = function()
  counter = counter + 1
  local id = ids[(counter * 7919) % #ids + 1]
  local token = tokens[counter % #tokens + 1]
  local body = '{"query":"' .. query .. '","variables":{"id":"' .. id .. '"}}'
  return wrk.format("POST", "/graphql",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format('{"requests": %d, "errors": %d, "seconds": %.2f, "rps": %.1f, ' ..
    '"p50_ms": %.2f, "p99_ms": %.2f}\n', summary.requests, errors, seconds,
    (summary.requests - errors) / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
