-- wrk script for bench/api_load.py: bearer token from PN_TOKEN, request paths (one per
-- line) from the file named by PN_PATHS, taken round-robin with a per-thread offset so the
-- 50 connections spread over plain pages, deep cursors and filters.
local token = os.getenv("PN_TOKEN")
local paths = {}
for line in io.lines(os.getenv("PN_PATHS")) do
  paths[#paths + 1] = line
end
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 37)
end

function init(args)
  i = offset or 0
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
