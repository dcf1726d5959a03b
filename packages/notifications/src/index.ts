// @flotilla/notifications — the notifications engine (Argo CD and Argo Rollouts).
export { parseConfig, secretData, resolveSecrets, ConfigError, SERVICE_TYPES, type NotifConfig, type Condition, type TemplateSpec, type ServiceConfig } from './config.js';
export { subscriptionsOf, annotationSubscriptions, defaultSubscriptions, matchSelector, parseRecipients, SUBSCRIBE_PREFIX, NOTIFIED_ANNOTATION, type Destination, type Subscriptions } from './subscriptions.js';
export { evaluateTrigger, conditionKey, type ConditionResult } from './triggers.js';
export { renderTemplate, TemplateError, type Notification } from './templates.js';
export { parseState, serializeState, setNotified, isNotified, stateKey, type NotifiedState } from './state.js';
export { processObject, type Delivery, type Sender, type PassResult, type PassInput } from './engine.js';
export { serviceSender, DeliveryError } from './services/index.js';
export { NotificationsController, type NotificationsOptions } from './controller.js';
export { argocdVars, repoURLToHTTPS, fullNameByRepoURL } from './argocd-vars.js';
