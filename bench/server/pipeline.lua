-- pipeline.lua: wrk script for the server benchmark. Each request is one Hrana v2
-- pipeline (POST /v2/pipeline, keep-alive) holding one statement and a close, the shape
-- @libsql/client sends for execute() over HTTP.
--
--   wrk -s pipeline.lua URL -- select ROWS   point select by a random primary key in 1..ROWS
--   wrk -s pipeline.lua URL -- insert        one single-row INSERT in autocommit
--
-- The ids come from a per-thread seeded generator, so every server gets the same sequence.
-- A response counts as an error if its status is not 200 or its body holds a Hrana error
-- (sqld reports SQL errors with status 200). done() prints one line, "WRK_RESULT {json}",
-- for bench/server_bench.sh; it measures, it never judges a time.

local threads = {}
local next_thread_id = 0

function setup(thread)
  next_thread_id = next_thread_id + 1
  thread:set("thread_id", next_thread_id)
  table.insert(threads, thread)
end

local mode
local rows
local counter = 0
local headers = { ["Content-Type"] = "application/json" }

local select_body = '{"requests":[{"type":"execute","stmt":{"sql":'
  .. '"select id, v from bench_kv where id = ?",'
  .. '"args":[{"type":"integer","value":"%d"}]}},{"type":"close"}]}'

local insert_body = '{"requests":[{"type":"execute","stmt":{"sql":'
  .. '"insert into bench_ins(v) values (?)",'
  .. '"args":[{"type":"text","value":"wrk thread %d row %010d"}]}},{"type":"close"}]}'

function init(args)
  mode = args[1] or "select"
  rows = tonumber(args[2] or "10000")
  hrana_errors = 0 -- global: done() reads it through thread:get
  first_error = ""
  math.randomseed(1000 + (thread_id or 0))
end

function request()
  local body
  if mode == "insert" then
    counter = counter + 1
    body = string.format(insert_body, thread_id or 0, counter)
  else
    body = string.format(select_body, math.random(rows))
  end
  return wrk.format("POST", "/v2/pipeline", headers, body)
end

function response(status, _, body)
  if status ~= 200 or string.find(body, '"type":"error"', 1, true) then
    hrana_errors = hrana_errors + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body, 1, 200) end
  end
end

local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, _)
  local errors, first = 0, ""
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("hrana_errors")
    if first == "" then first = thread:get("first_error") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p99_us":%d,'
      .. '"bad_responses":%d,"socket_errors":%d,"first_error":%s}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), errors,
    e.connect + e.read + e.write + e.timeout, json_string(first)))
end
