/* The server-side check-and-update of one replay window (Lua, run by
 * EVALSHA). KEYS[1]: the session's key. ARGV: seq as two 32-bit halves
 * (high, low; Lua numbers are doubles), the message timestamp in ms (0:
 * none), the expiry in ms (0: none). The value is 24 bytes, big-endian:
 * highest (high, low), window (bits 0-31, 32-63; bit i = highest - i
 * seen) and the newest timestamp. Returns OK, REPLAY or TOO_OLD
 * (docs/FORMAT.md section 9, a tracked session, W = 64). */
#ifndef MQTTSEAL_REDIS_SCRIPT_H
#define MQTTSEAL_REDIS_SCRIPT_H

#define MS_REDIS_SCRIPT                                                        \
    "local sh, sl = tonumber(ARGV[1]), tonumber(ARGV[2])\n"                    \
    "local ts, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])\n"                   \
    "local v = redis.call('GET', KEYS[1])\n"                                   \
    "local hh, hl, wl, wh, tm = sh, sl, 1, 0, 0\n"                             \
    "if v then\n"                                                              \
    "  if #v ~= 24 then return redis.error_reply('MQTTSEAL bad entry') end\n"  \
    "  hh, hl, wl, wh, tm = struct.unpack('>I4I4i4i4d', v)\n"                  \
    "  local d = (sh - hh) * 4294967296 + (sl - hl)\n"                         \
    "  if d <= 0 then\n"                                                       \
    "    local i = -d\n"                                                       \
    "    if i >= 64 then return 'TOO_OLD' end\n"                               \
    "    if i >= 32 then\n"                                                    \
    "      local b = bit.lshift(1, i - 32)\n"                                  \
    "      if bit.band(wh, b) ~= 0 then return 'REPLAY' end\n"                 \
    "      wh = bit.bor(wh, b)\n"                                              \
    "    else\n"                                                               \
    "      local b = bit.lshift(1, i)\n"                                       \
    "      if bit.band(wl, b) ~= 0 then return 'REPLAY' end\n"                 \
    "      wl = bit.bor(wl, b)\n"                                              \
    "    end\n"                                                                \
    "  else\n"                                                                 \
    "    if d >= 64 then wl, wh = 0, 0\n"                                      \
    "    elseif d >= 32 then wh, wl = bit.lshift(wl, d - 32), 0\n"             \
    "    else\n"                                                               \
    "      wh = bit.bor(bit.lshift(wh, d), bit.rshift(wl, 32 - d))\n"          \
    "      wl = bit.lshift(wl, d)\n"                                           \
    "    end\n"                                                                \
    "    wl, hh, hl = bit.bor(wl, 1), sh, sl\n"                                \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "if ts > tm then tm = ts end\n"                                            \
    "local nv = struct.pack('>I4I4i4i4d', hh, hl, wl, wh, tm)\n"               \
    "if ttl > 0 then redis.call('SET', KEYS[1], nv, 'PX', ttl)\n"              \
    "else redis.call('SET', KEYS[1], nv) end\n"                                \
    "return 'OK'\n"

#endif
