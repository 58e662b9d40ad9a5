import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { cidrSubnet } from "./cidr-subnet.ts";

/** Arguments for {@link createVpcNetwork}. */
export interface VpcNetworkArgs {
  /** AWS region. */
  region: string;
  /** IPv4 CIDR of the VPC (/16 to /22). */
  cidr: string;
  /** Availability zones, one public and one private subnet each. */
  availabilityZones: string[];
  /** One NAT gateway per zone (zone-redundant egress) instead of one for the VPC. */
  natPerZone: boolean;
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/** The network the cluster runs in. */
export interface VpcNetwork {
  /** VPC id. */
  vpcId: pulumi.Input<string>;
  /** Private subnets (nodes, control-plane ENIs, internal load balancers), one per zone. */
  privateSubnetIds: pulumi.Input<string>[];
  /** Public subnets (NAT gateways, internet-facing load balancers), one per zone. */
  publicSubnetIds: pulumi.Input<string>[];
}

/**
 * A VPC for an EKS cluster: per zone a large private subnet (the VPC CNI gives every pod a VPC
 * address) and a small public one; egress from the private subnets through NAT; the VPC's
 * default security group stripped of its rules so nothing uses it by accident.
 */
export function createVpcNetwork(name: string, args: VpcNetworkArgs, parent: pulumi.Resource): VpcNetwork {
  const opts = { parent };
  const common = { region: args.region };
  const tagged = (role: string, extra: Record<string, string> = {}) => ({ ...args.tags, Name: `${name}-${role}`, ...extra });
  const vpc = new aws.ec2.Vpc(`${name}-vpc`, { ...common, cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tagged("vpc") }, opts);
  new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { ...common, vpcId: vpc.id, ingress: [], egress: [], tags: tagged("default-sg") }, opts);
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { ...common, vpcId: vpc.id, tags: tagged("igw") }, opts);
  const publicRoutes = new aws.ec2.RouteTable(
    `${name}-public-rt`,
    { ...common, vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tagged("public-rt") },
    opts,
  );

  // Private subnets take three of the VPC's four quarters; the fourth, cut in sixteenths, holds
  // the public ones (/16 → private /18, public /22).
  const publicSubnets = args.availabilityZones.map((az, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-public-${az}`,
      {
        ...common,
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(cidrSubnet(args.cidr, 2, 3), 4, i),
        mapPublicIpOnLaunch: false,
        tags: tagged(`public-${az}`, { "kubernetes.io/role/elb": "1" }),
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-public-${az}`, { ...common, subnetId: subnet.id, routeTableId: publicRoutes.id }, opts);
    return subnet;
  });

  const natCount = args.natPerZone ? args.availabilityZones.length : 1;
  const nats = args.availabilityZones.slice(0, natCount).map((az, i) => {
    const eip = new aws.ec2.Eip(`${name}-nat-${az}`, { ...common, domain: "vpc", tags: tagged(`nat-${az}`) }, opts);
    return new aws.ec2.NatGateway(
      `${name}-nat-${az}`,
      { ...common, allocationId: eip.allocationId, subnetId: (publicSubnets[i] as aws.ec2.Subnet).id, tags: tagged(`nat-${az}`) },
      { parent, dependsOn: [igw] },
    );
  });

  const privateSubnets = args.availabilityZones.map((az, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-private-${az}`,
      {
        ...common,
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(args.cidr, 2, i),
        tags: tagged(`private-${az}`, { "kubernetes.io/role/internal-elb": "1" }),
      },
      opts,
    );
    const nat = nats[args.natPerZone ? i : 0] as aws.ec2.NatGateway;
    const routes = new aws.ec2.RouteTable(
      `${name}-private-rt-${az}`,
      { ...common, vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tagged(`private-rt-${az}`) },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-private-${az}`, { ...common, subnetId: subnet.id, routeTableId: routes.id }, opts);
    return subnet;
  });

  return { vpcId: vpc.id, privateSubnetIds: privateSubnets.map((s) => s.id), publicSubnetIds: publicSubnets.map((s) => s.id) };
}
