// mqttseal for JavaScript: FORMAT.md on libsodium-wrappers-sumo.
export { ready } from './sodium.js';
export { Errors, MqttsealError, strerror } from './errors.js';
export { Keyring, checkFilter } from './keyring.js';
export {
  Context, inspect, SKEW_DEFAULT_MS, FLEET_MAX_AGE_MS,
  FLEET_RETAINED_MAX_AGE_MS, LEVELS_DEFAULT,
} from './context.js';
export { PLAINTEXT_MAX, OVERHEAD_MAX, messageKey, nodeKeys } from './format.js';
export { Signer, TrustList, mqttMatch, checkMqttFilter, SIGNED_OVERHEAD } from './sign.js';
