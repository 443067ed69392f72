-- wrk script for scripts/load.sh: cycles through a list of request paths and counts statuses.
--
--   wrk -t T -s scripts/load/mix.lua URL -- PATHS_FILE T
--
-- PATHS_FILE holds one request path per line ("/forest-800x500.jpg?w=420&fm=jpg"). Thread i
-- (0-based) of T sends lines i, i+T, i+2T, ... in file order and wraps around, so threads never
-- send the same path at the same moment and, until a thread wraps, every path it sends is new.
-- done() prints one line that load.sh parses:
--   STATUS 2xx=N 503=N other=N other_codes=CODE:N,... sent=N errors=connect:N,read:N,write:N,timeout:N

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Per thread (each wrk thread has its own Lua state; setup() and done() run in the main one,
-- which is why `threads` is only filled there). `id` comes from setup() via thread:set.
local requests = {}
local count = 0
local pos = 0
local step = 1
c2xx, c503, cother, sent = 0, 0, 0, 0
others = {}

function init(args)
  local file = args[1]
  step = tonumber(args[2] or "1")
  if file == nil or step == nil or step < 1 then
    error("usage: wrk -t T -s mix.lua URL -- PATHS_FILE T")
  end
  for line in io.lines(file) do
    if line ~= "" then
      count = count + 1
      requests[count] = wrk.format("GET", line)
    end
  end
  if count == 0 then
    error("no paths in " .. file)
  end
  pos = (id or 0) % count
end

function request()
  local r = requests[pos + 1]
  pos = (pos + step) % count
  sent = sent + 1
  return r
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    c2xx = c2xx + 1
  elseif status == 503 then
    c503 = c503 + 1
  else
    cother = cother + 1
    others[status] = (others[status] or 0) + 1
  end
end

function done(summary, latency, _requests)
  local t2xx, t503, tother, tsent = 0, 0, 0, 0
  local codes = {}
  for _, thread in ipairs(threads) do
    t2xx = t2xx + thread:get("c2xx")
    t503 = t503 + thread:get("c503")
    tother = tother + thread:get("cother")
    tsent = tsent + thread:get("sent")
    local o = thread:get("others")
    if o then
      for code, n in pairs(o) do
        codes[code] = (codes[code] or 0) + n
      end
    end
  end
  local list = {}
  for code, n in pairs(codes) do
    table.insert(list, code .. ":" .. n)
  end
  table.sort(list)
  local e = summary.errors
  io.write(string.format(
    "STATUS 2xx=%d 503=%d other=%d other_codes=%s sent=%d errors=connect:%d,read:%d,write:%d,timeout:%d\n",
    t2xx, t503, tother, #list > 0 and table.concat(list, ",") or "-", tsent,
    e.connect, e.read, e.write, e.timeout))
end
