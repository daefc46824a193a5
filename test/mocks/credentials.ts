// Credentials the mocks accept (no Node imports: worker tests import this file too).
export const APORIA_KEY = "aporia-test-key";
export const LAKERA_KEY = "lakera-test-key";
export const MODERATION_KEY = "sk-moderation-test-key";
export const GENERIC_API_KEY = "generic-test-key";
/** test/mocks/bedrock.ts's credentials (it checks SigV4 with them). */
export const BEDROCK_ACCESS_KEY = "AKIDMOCKGATEWAY";
export const BEDROCK_SECRET_KEY = "mock/secret+key/for-sigv4";
export const BEDROCK_API_KEY = "bedrock-api-key-mock";
/** test/mocks/cohere.ts's key. */
export const COHERE_KEY = "cohere-test-key";
/** test/mocks/azure-ai.ts's key. */
export const AZURE_AI_KEY = "azure-ai-test-key";
/** test/mocks/observability.ts's credentials (Langfuse basic auth, Datadog's key, S3's SigV4 keys). */
export const LANGFUSE_PUBLIC = "pk-lf-test-0001";
export const LANGFUSE_SECRET = "sk-lf-test-secret-0001";
export const DATADOG_KEY = "dd-api-key-test-0001";
export const S3_ACCESS_KEY = "AKIDMOCKLOGS";
export const S3_SECRET_KEY = "mock/logs+secret/for-sigv4";
export const OTEL_TOKEN = "otel-test-token";
/** The bearer token test/mocks/mcp-servers.ts's alpha server wants, as test/global-setup.ts starts it for the worker tests. */
export const MCP_ALPHA_TOKEN = "mcp-alpha-test-token";
