/**
 * Validation of built-in kinds as a kube-apiserver performs it on create (`old` undefined) and update (`old` given),
 * returning Status causes with Kubernetes-style field paths and messages. Call it after defaulting.
 */
import type { Cause, KubeObject, ResourceInfo } from '@flotilla/apimachinery';
import { validateDns1123Label, validateDns1123Subdomain } from '@flotilla/apimachinery';
import { nameValidator, validateObjectMeta, validateObjectMetaUpdate, type NameValidator } from './validate-meta.js';
import {
  validateConfigMap,
  validateCrd,
  validateEndpointSlice,
  validateEndpoints,
  validateHpa,
  validateIngress,
  validateLease,
  validateNamespace,
  validateNetworkPolicy,
  validatePdb,
  validatePriorityClass,
  validatePv,
  validatePvc,
  validateRbacRules,
  validateRoleBinding,
  validateSecret,
  validateService,
  validateStorageClass,
  validateWebhookConfiguration,
} from './validate-kinds.js';
import { validateDns1035Label, validatePathSegmentName } from './validate-util.js';
import {
  validateCronJob,
  validateDaemonSet,
  validateDeployment,
  validateJob,
  validatePod,
  validatePodTemplate,
  validateReplicaSet,
  validateReplicationController,
  validateStatefulSet,
} from './validate-workloads.js';

export { validateDns1035Label, parseQuantity } from './validate-util.js';
export { normalizeSecret, secretDecodeError } from './validate-kinds.js';
export { parseCronSchedule, validateCronSchedule, CronParseError, type CronSchedule } from './validate-cron.js';

const subdomain = nameValidator(validateDns1123Subdomain);
const dnsLabel = nameValidator(validateDns1123Label);
const dns1035 = nameValidator(validateDns1035Label);
const pathSegment = nameValidator(validatePathSegmentName);

/** How object names of a kind are validated. */
export function builtinNameValidator(r: ResourceInfo): NameValidator {
  const id = `${r.kind}.${r.group}`;
  switch (id) {
    case 'Namespace.':
      return dnsLabel;
    case 'Service.':
      return dns1035;
    case 'StatefulSet.apps':
      return dnsLabel;
    case 'Role.rbac.authorization.k8s.io':
    case 'ClusterRole.rbac.authorization.k8s.io':
    case 'RoleBinding.rbac.authorization.k8s.io':
    case 'ClusterRoleBinding.rbac.authorization.k8s.io':
      return pathSegment;
    default:
      return subdomain;
  }
}

/**
 * Validates a built-in object (already defaulted). `old` is the stored object on update. Unknown kinds get the
 * generic metadata checks only.
 */
export function validateBuiltin(r: ResourceInfo, obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  errs.push(...validateObjectMeta(obj.metadata, { namespaced: r.namespaced, nameFn: builtinNameValidator(r) }));
  if (old) errs.push(...validateObjectMetaUpdate(obj.metadata, old.metadata));
  errs.push(...validateKind(r, obj, old));
  return errs;
}

function validateKind(r: ResourceInfo, obj: KubeObject, old?: KubeObject): Cause[] {
  switch (`${r.kind}.${r.group}`) {
    case 'Pod.':
      return validatePod(obj, old);
    case 'PodTemplate.':
      return validatePodTemplate(obj);
    case 'ReplicationController.':
      return validateReplicationController(obj);
    case 'Service.':
      return validateService(obj, old);
    case 'Secret.':
      return validateSecret(obj, old);
    case 'ConfigMap.':
      return validateConfigMap(obj, old);
    case 'Namespace.':
      return validateNamespace(obj);
    case 'PersistentVolumeClaim.':
      return validatePvc(obj, old);
    case 'PersistentVolume.':
      return validatePv(obj);
    case 'Endpoints.':
      return validateEndpoints(obj);
    case 'Deployment.apps':
      return validateDeployment(obj, old);
    case 'ReplicaSet.apps':
      return validateReplicaSet(obj, old);
    case 'StatefulSet.apps':
      return validateStatefulSet(obj, old);
    case 'DaemonSet.apps':
      return validateDaemonSet(obj, old);
    case 'Job.batch':
      return validateJob(obj, old);
    case 'CronJob.batch':
      return validateCronJob(obj);
    case 'Role.rbac.authorization.k8s.io':
      return validateRbacRules(obj, true);
    case 'ClusterRole.rbac.authorization.k8s.io':
      return validateRbacRules(obj, false);
    case 'RoleBinding.rbac.authorization.k8s.io':
      return validateRoleBinding(obj, false, old);
    case 'ClusterRoleBinding.rbac.authorization.k8s.io':
      return validateRoleBinding(obj, true, old);
    case 'Lease.coordination.k8s.io':
      return validateLease(obj);
    case 'Ingress.networking.k8s.io':
      return validateIngress(obj);
    case 'NetworkPolicy.networking.k8s.io':
      return validateNetworkPolicy(obj);
    case 'EndpointSlice.discovery.k8s.io':
      return validateEndpointSlice(obj);
    case 'HorizontalPodAutoscaler.autoscaling':
      return validateHpa(obj);
    case 'PodDisruptionBudget.policy':
      return validatePdb(obj);
    case 'PriorityClass.scheduling.k8s.io':
      return validatePriorityClass(obj);
    case 'StorageClass.storage.k8s.io':
      return validateStorageClass(obj);
    case 'MutatingWebhookConfiguration.admissionregistration.k8s.io':
      return validateWebhookConfiguration(obj, true);
    case 'ValidatingWebhookConfiguration.admissionregistration.k8s.io':
      return validateWebhookConfiguration(obj, false);
    case 'CustomResourceDefinition.apiextensions.k8s.io':
      return validateCrd(obj);
    default:
      return [];
  }
}
