/** The original system's security counters, per tenant. Counts only: never a value, never a name. */
export interface SecurityMetrics {
  secretAccessCount: number;
  failedAccessAttempts: number;
  encryptionOperations: number;
  decryptionOperations: number;
  rotationEvents: number;
  failoverReads: number;
}

export function emptyMetrics(): SecurityMetrics {
  return { secretAccessCount: 0, failedAccessAttempts: 0, encryptionOperations: 0, decryptionOperations: 0, rotationEvents: 0, failoverReads: 0 };
}
