-- wrk: every request asks for a random, aligned 1 MiB range of the 64 MiB file.
math.randomseed(os.time())
request = function()
  local start = math.random(0, 63) * 1048576
  return wrk.format(nil, nil, { Range = "bytes=" .. start .. "-" .. (start + 1048575) })
end
