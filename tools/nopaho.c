/* pub and sub in a build without Paho MQTT C (meson -Dpaho=disabled). */
#include "cli.h"
#include "kd.h"

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

int cmd_agent(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return unavailable("agent");
}

int cmd_status(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return unavailable("status");
}

int kd_publish_retained(const struct kd_push *p, const char *topic,
                        const unsigned char *payload, size_t len)
{
    (void)p;
    (void)topic;
    (void)payload;
    (void)len;
    return unavailable("--push");
}
