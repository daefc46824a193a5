// The LLM endpoints, in one table: each one's OpenAI path (served with and without /v1), its request
// schema, LiteLLM's call_type for the spend log, and how its body comes (JSON or a multipart form).
// Routes, adapters and spend all read it. `streams`: the request's `stream: true` asks for SSE.
// `ownRoute`: the endpoint's route reads its call itself (files and batches: src/http/routes/files-batches.ts).
import { chatRequestSchema, completionRequestSchema, embeddingRequestSchema } from "../schema/openai";
import {
  batchCreateSchema,
  fileUploadSchema,
  imageRequestSchema,
  moderationRequestSchema,
  rerankRequestSchema,
  speechRequestSchema,
  transcriptionRequestSchema,
} from "../schema/endpoints";

export const ENDPOINTS = {
  chat: { path: "/chat/completions", schema: chatRequestSchema, callType: "acompletion", streams: true },
  completion: { path: "/completions", schema: completionRequestSchema, callType: "atext_completion", streams: true },
  embedding: { path: "/embeddings", schema: embeddingRequestSchema, callType: "aembedding" },
  image_generation: { path: "/images/generations", schema: imageRequestSchema, callType: "aimage_generation" },
  transcription: { path: "/audio/transcriptions", schema: transcriptionRequestSchema, callType: "atranscription", multipart: true },
  translation: { path: "/audio/translations", schema: transcriptionRequestSchema, callType: "atranslation", multipart: true },
  speech: { path: "/audio/speech", schema: speechRequestSchema, callType: "aspeech" },
  moderation: { path: "/moderations", schema: moderationRequestSchema, callType: "amoderation" },
  rerank: { path: "/rerank", schema: rerankRequestSchema, callType: "arerank" },
  file: { path: "/files", schema: fileUploadSchema, callType: "acreate_file", multipart: true, ownRoute: true },
  batch: { path: "/batches", schema: batchCreateSchema, callType: "acreate_batch", ownRoute: true },
} as const;

export type Endpoint = keyof typeof ENDPOINTS;

export const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as Endpoint[];

type Spec = { streams?: boolean; multipart?: boolean; ownRoute?: boolean };
const spec = (endpoint: Endpoint): Spec => ENDPOINTS[endpoint] as Spec;

/** Whether `stream: true` makes this endpoint answer with SSE. */
export const streams = (endpoint: Endpoint) => spec(endpoint).streams === true;
/** Whether its body is a multipart form (an uploaded file). */
export const multipart = (endpoint: Endpoint) => spec(endpoint).multipart === true;
/** The endpoints llm.ts serves with the generic read step (the others have routes of their own). */
export const GENERIC_ENDPOINTS = ENDPOINT_NAMES.filter((e) => !spec(e).ownRoute);
