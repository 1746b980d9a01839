-- The lean load generator's calls (bench/lean.py): wrk sends each scenario's requests, read
-- from a file of bodies made before the timed window, and prints its figures as one JSON line.
-- Environment: BENCH_METHOD, BENCH_PATH, BENCH_BODIES (a file, one body a line; none for a GET),
-- BENCH_CONTENT_TYPE, BENCH_AUTHORIZATION, BENCH_COOKIE (a signed-in session's cookies),
-- BENCH_EACH_ONCE ("1": each body used once, by one thread only; otherwise every thread cycles
-- through them all from a random start).

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local bodies_file = os.getenv("BENCH_BODIES") or ""
local content_type = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""
local each_once = os.getenv("BENCH_EACH_ONCE") == "1"

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  thread:set("count", 0)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  bodies = {}
  if bodies_file ~= "" then
    for line in io.lines(bodies_file) do
      bodies[#bodies + 1] = line
    end
  end
  stride = each_once and tonumber(os.getenv("BENCH_THREADS") or "1") or 1
  math.randomseed(id * 7919 + os.time())
  next_index = each_once and id or math.random(math.max(#bodies, 1))
  headers = {}
  if authorization ~= "" then headers["Authorization"] = authorization end
  if cookie ~= "" then headers["Cookie"] = cookie end
  if #bodies > 0 then headers["Content-Type"] = content_type end
  exhausted = 0
end

function request()
  if #bodies == 0 then
    return wrk.format(method, path, headers)
  end
  if next_index > #bodies then
    if each_once then
      exhausted = exhausted + 1
      next_index = ((next_index - 1) % #bodies) + 1  -- reused: an error the figures show
    else
      next_index = 1
    end
  end
  local body = bodies[next_index]
  next_index = next_index + stride
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
