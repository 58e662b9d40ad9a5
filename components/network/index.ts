export { cidrContains, cidrSubnet, cidrsOverlap, ipv4Cidr, ipv4SourceCidr, isAnyAddress, isDocumentationCidr, isPrivateCidr, parseCidr, DOCUMENTATION_RANGES, PRIVATE_RANGES, type CidrRange } from "./cidr.ts";
export { checkEndpointAccess, checkPublicEndpointCidrs, isLiveDeployment, refusePlaceholder, refusePlaceholderCidrs, SYNTH_ENV, type EndpointAccess } from "./endpoint-access.ts";
