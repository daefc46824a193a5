// `google/<model>`: the guides' name for Gemini on Google AI Studio, the same API, key
// (GEMINI_API_KEY, else GOOGLE_API_KEY) and translation as `gemini/` (../gemini/).
import { gemini } from "../gemini/adapter";
import type { ProviderAdapter } from "../../core/provider";

export const google: ProviderAdapter = { ...gemini, name: "google" };
