// Validates a rendered Kubernetes object against its published schema: the Kubernetes OpenAPI
// schemas for built-in kinds (kubernetes-models), and the CRDs' own OpenAPI schemas for the
// Prometheus Operator and cert-manager kinds (@kubernetes-models/prometheus-operator and
// /cert-manager, generated from those projects' CRDs). These schemas check types, required
// fields, enums and formats; like the API server without strict field validation, they let an
// unknown field through, so the tests also read the fields that matter (probes, securityContext,
// ports) themselves.
import * as certManager from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import type { K8sObject } from './render-overlay.js';

type Model = new (data: never) => { validate(): void };

const MODELS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'batch/v1': batch,
  'autoscaling/v2': autoscaling,
  'policy/v1': policy,
  'networking.k8s.io/v1': networking,
  'monitoring.coreos.com/v1': monitoring,
  'cert-manager.io/v1': certManager,
};

/** Throws with the schema's complaint; an apiVersion/kind without a known schema is an error too. */
export function validateObject(object: K8sObject): void {
  const Class = MODELS[object.apiVersion]?.[object.kind] as Model | undefined;
  if (Class === undefined)
    throw new Error(`no schema for ${object.apiVersion} ${object.kind}: add its model to test/deploy/validate-manifest.ts`);
  try {
    new Class(normalised(object) as never).validate();
  } catch (error) {
    throw new Error(`${object.kind}/${object.metadata.name}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * kustomize wraps generated Secret data at 70 characters; the API server's base64 decoder skips
 * line breaks (Go's encoding/base64), the schema's "byte" format does not.
 */
function normalised(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || object.data === undefined) return object;
  return { ...object, data: Object.fromEntries(Object.entries(object.data).map(([k, v]) => [k, v.replace(/\s+/g, '')])) };
}
