/** @flotilla/ingress-nginx: an Ingress controller for IngressClass nginx: Ingress objects rendered into nginx's config. */
export {};
