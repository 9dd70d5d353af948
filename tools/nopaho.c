/* pub and sub in a build without Paho MQTT C (meson -Dpaho=disabled). */
#include "cli.h"

static int unavailable(const char *cmd)
{
    return cli_fail(CLI_USAGE,
                    "%s: this mqttseal was built without Paho MQTT C (install "
                    "libpaho-mqtt-dev and rebuild; or use mqttseal seal/open "
                    "with another MQTT client)",
                    cmd);
}

int cmd_pub(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return unavailable("pub");
}

int cmd_sub(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return unavailable("sub");
}
