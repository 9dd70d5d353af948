/* The server-side check-and-update of one replay window (Lua, run by
 * EVALSHA). KEYS[1]: the session's key. ARGV: seq as two 32-bit halves
 * (high, low; Lua numbers are doubles), the message timestamp in ms (0:
 * none), the expiry in ms (0: none), the window W in bits (a power of
 * two, 64..65536). The value: 24 bytes, big-endian highest (high, low)
 * and newest timestamp (a double), then a W-bit ring (RFC 6479): bit
 * 192 + (seq mod W) set = seq seen. Returns OK, REPLAY or TOO_OLD
 * (docs/FORMAT.md section 9, a tracked session). */
#ifndef MQTTSEAL_REDIS_SCRIPT_H
#define MQTTSEAL_REDIS_SCRIPT_H

/* clang-format off */
#define MS_REDIS_SCRIPT \
    "local k = KEYS[1]\n" \
    "local sh, sl = tonumber(ARGV[1]), tonumber(ARGV[2])\n" \
    "local ts, ttl, w = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])\n" \
    "local function clear(from, n)\n" \
    "  while n > 0 do\n" \
    "    local p = from % w\n" \
    "    local seg = math.min(n, w - p)\n" \
    "    local s, e = p, p + seg\n" \
    "    while s < e and s % 8 ~= 0 do redis.call('SETBIT', k, 192 + s, 0); s = s + 1 end\n" \
    "    local bytes = math.floor((e - s) / 8)\n" \
    "    if bytes > 0 then redis.call('SETRANGE', k, 24 + s / 8, string.rep('\\0', bytes)); s = s + bytes * 8 end\n" \
    "    while s < e do redis.call('SETBIT', k, 192 + s, 0); s = s + 1 end\n" \
    "    from, n = from + seg, n - seg\n" \
    "  end\n" \
    "end\n" \
    "local pos = sl % w\n" \
    "local head = redis.call('GETRANGE', k, 0, 23)\n" \
    "local hh, hl, tm = sh, sl, 0\n" \
    "if #head == 24 then\n" \
    "  if redis.call('STRLEN', k) ~= 24 + w / 8 then return redis.error_reply('MQTTSEAL window size changed') end\n" \
    "  hh, hl, tm = struct.unpack('>I4I4d', head)\n" \
    "  local d = (sh - hh) * 4294967296 + (sl - hl)\n" \
    "  if d <= 0 then\n" \
    "    if -d >= w then return 'TOO_OLD' end\n" \
    "    if redis.call('GETBIT', k, 192 + pos) == 1 then return 'REPLAY' end\n" \
    "  else\n" \
    "    clear((hl + 1) % w, math.min(d, w))\n" \
    "    hh, hl = sh, sl\n" \
    "  end\n" \
    "elseif #head ~= 0 then return redis.error_reply('MQTTSEAL bad entry')\n" \
    "else redis.call('SETRANGE', k, 24 + w / 8 - 1, '\\0') end\n" \
    "redis.call('SETBIT', k, 192 + pos, 1)\n" \
    "if ts > tm then tm = ts end\n" \
    "redis.call('SETRANGE', k, 0, struct.pack('>I4I4d', hh, hl, tm))\n" \
    "if ttl > 0 then redis.call('PEXPIRE', k, ttl) else redis.call('PERSIST', k) end\n" \
    "return 'OK'\n"
/* clang-format on */

#endif
