// A module `runstate worker --kinds` refuses: it exports no kind made with defineKind.
export const messageBatch = { kind: 'anthropic.message_batch', ids: ['id'] };
