import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Fixed names: the Web UI, the `temporal` CLI and the API all filter on these.
export const HookflowStatus = defineSearchAttributeKey('HookflowStatus', SearchAttributeType.KEYWORD);
export const HookflowSubscriptionId = defineSearchAttributeKey('HookflowSubscriptionId', SearchAttributeType.KEYWORD);
export const HookflowEventId = defineSearchAttributeKey('HookflowEventId', SearchAttributeType.KEYWORD);
export const HookflowEventType = defineSearchAttributeKey('HookflowEventType', SearchAttributeType.KEYWORD);
export const HookflowTenantId = defineSearchAttributeKey('HookflowTenantId', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [HookflowStatus, HookflowSubscriptionId, HookflowEventId, HookflowEventType, HookflowTenantId];

/** `NAME=Keyword` pairs, the form `temporal server start-dev --search-attribute` takes. */
export const searchAttributeFlags = (): string[] => ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}=Keyword`);
