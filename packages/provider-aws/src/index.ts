export { type AwsProviderOptions, AWS_CAPABILITIES, createAwsProvider } from "./provider.js";
export { type AwsNameCodec, AWS_NAME_RULE, checkPrefix, createAwsNameCodec, PREFIX_MAX } from "./names.js";
export { toPolyvaultError as mapAwsError } from "./errors.js";
export { VERSION_KEY } from "./tags.js";
export { MAX_VALUE_BYTES } from "./write.js";
