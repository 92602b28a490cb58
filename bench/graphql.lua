-- wrk script: POST /graphql with the query in $QUERY (one $id variable), ids drawn
-- from the file named by $IDS, bearer token in $TOKEN. Prints one JSON line.
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local token = os.getenv("TOKEN")
local query = os.getenv("QUERY")
local counter = 0
request = function()
  counter = counter + 1
  local id = ids[(counter * 7919) % #ids + 1]
  local body = '{"query":"' .. query .. '","variables":{"id":"' .. id .. '"}}'
  return wrk.format("POST", "/graphql",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "errors": %d, "seconds": %.2f, "rps": %.1f, ' ..
    '"p50_ms": %.2f, "p99_ms": %.2f}\n', summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
