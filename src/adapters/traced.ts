// Runs adapter work in a CLIENT span, but only on behalf of a traced request: untraced background
// work (migrations, startup seeding) makes no root spans of its own.
import { context, type Attributes, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';

export async function inClientSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  run: () => Promise<T>,
  describe?: (result: T) => Attributes,
): Promise<T> {
  // A call whose trace is not sampled records no child spans either (parent-based sampling).
  if (trace.getSpan(context.active())?.isRecording() !== true) return run();
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const result = await run();
      if (describe !== undefined) span.setAttributes(describe(result));
      return result;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}
