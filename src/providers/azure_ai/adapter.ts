// Azure AI Foundry / Azure AI model inference (`azure_ai/<model>`): OpenAI's wire format (./request.ts
// builds the URL and auth header), answers and streams passed through as Azure OpenAI's are, errors
// read as Azure's (content-filter refusals become content-policy errors).
import type { ChatCompletion, EmbeddingResponse } from "../../schema/openai";
import { mapAzureError } from "../azure/adapter";
import { AzureStreamTranslator } from "../azure/stream";
import type { ProviderAdapter } from "../../core/provider";
import { chatRequest, embeddingRequest } from "./request";

export const azureAi: ProviderAdapter = {
  name: "azure_ai",
  chat: {
    buildRequest: chatRequest,
    parseResponse: (json) => json as ChatCompletion,
    stream: { decoder: "sse", translator: () => new AzureStreamTranslator("azure_ai") },
  },
  embedding: {
    buildRequest: embeddingRequest,
    parseResponse: (json) => json as EmbeddingResponse,
  },
  mapError: mapAzureError,
};
