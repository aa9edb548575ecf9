-- wrk script for `make bench`: sends the requests of the file $BENCH_REQUESTS in turn.
-- Each line is  METHOD \t PATH \t HEADERS \t BODY  where HEADERS are "Name: value" joined by
-- \30 (record separator). A case that must not repeat a request (a token request spends its
-- client assertion) gets one line per request; the others repeat their few lines.
-- (bench/pacer.py sends the same file open-loop at a fixed rate.)
-- done() prints one line "BENCH {json}" that bench/loadgen.py parses.

local requests = {}
local index = 0

local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text, "([^" .. separator .. "]+)") do
    parts[#parts + 1] = part
  end
  return parts
end

init = function(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local method, path, header_text, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    for _, header in ipairs(split(header_text, "\30")) do
      local name, value = header:match("^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    if body == "" then body = nil end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
end

request = function()
  index = index % #requests + 1
  return requests[index]
end

done = function(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
