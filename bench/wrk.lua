-- Shared by every wrk run of bench/run.sh. WRK_METHOD and WRK_BODY_FILE (a JSON file) make the
-- request a POST with a body; done() prints one machine-readable summary line.
local method = os.getenv("WRK_METHOD")
local body_file = os.getenv("WRK_BODY_FILE")
if method and method ~= "" then
  wrk.method = method
end
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk requests %d duration_us %d non2xx %d socket_errors %d p50_us %d p99_us %d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
