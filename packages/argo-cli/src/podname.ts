/**
 * The pod name of a node, as the controller names pods (upstream's "v2" naming). The controller's
 * own module, imported alone so that `argo get`/`argo list` do not load the controller's package.
 */
export { podName } from '@flotilla/workflows-controller/ids';
