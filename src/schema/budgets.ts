// The config's budget settings (composed into src/schema/config.ts):
//   litellm_settings: max_budget + budget_duration  a budget for the whole proxy (every call counts)
//                     disable_budget_reservation    LiteLLM's switch: admit while spend < max_budget, reserve nothing
//                     timezone                      where budget periods start (midnight, Monday, the 1st); UTC
//   general_settings: max_budget + budget_duration  the guides put them here: the budget of keys without their own
import { z } from "zod";
import { durationSchema, timeZoneSchema } from "../lib/duration";

const money = z.number().min(0);

export const litellmBudgetSettings = {
  max_budget: money.optional(),
  budget_duration: durationSchema.optional(),
  disable_budget_reservation: z.boolean().optional(),
  timezone: timeZoneSchema.optional(),
};

export const generalBudgetSettings = {
  max_budget: money.optional(),
  budget_duration: durationSchema.optional(),
};
