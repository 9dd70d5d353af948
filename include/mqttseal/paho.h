/*
 * mqttseal/paho.h: both halves of the Paho hooks, for source that was
 * written against one header. Declarations only: a program still links
 * exactly one hooks library, the one of the Paho flavour it uses
 * (pkg-config mqttseal-paho-c, -cs, -a or -as; see paho_common.h), and
 * calls only that API's wrappers. New code includes paho_client.h or
 * paho_async.h instead.
 */
#ifndef MQTTSEAL_PAHO_H
#define MQTTSEAL_PAHO_H

#include <mqttseal/paho_async.h>
#include <mqttseal/paho_client.h>

#endif /* MQTTSEAL_PAHO_H */
