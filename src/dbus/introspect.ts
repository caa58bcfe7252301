/**
 * The introspection XML of keepalived's objects, as GLib's GDBusConnection writes it for
 * an object registered from keepalived's interface files
 * (/usr/share/dbus-1/interfaces/org.keepalived.Vrrp1.{Vrrp,Instance}.xml): the three
 * standard interfaces GLib adds, the object's own interface (GLib's
 * g_dbus_interface_info_generate_xml keeps the files' empty element pairs), then one
 * <node> per child path element. Only GLib's version comment differs.
 */

const HEAD =
  '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n' +
  '                      "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n' +
  "<!-- keel -->\n";

const STANDARD = `  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="out"/>
    </method>
    <method name="GetAll">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="a{sv}" name="properties" direction="out"/>
    </method>
    <method name="Set">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s" name="interface_name"/>
      <arg type="a{sv}" name="changed_properties"/>
      <arg type="as" name="invalidated_properties"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg type="s" name="xml_data" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg type="s" name="machine_uuid" direction="out"/>
    </method>
  </interface>
`;

export const VRRP_INTERFACE = "org.keepalived.Vrrp1.Vrrp";
export const INSTANCE_INTERFACE = "org.keepalived.Vrrp1.Instance";

const VRRP_XML = `  <interface name="${VRRP_INTERFACE}">
    <method name="PrintData">
    </method>
    <method name="PrintStats">
    </method>
    <method name="PrintStatsClear">
    </method>
    <method name="ReloadConfig">
    </method>
    <signal name="VrrpStarted">
    </signal>
    <signal name="VrrpReloaded">
    </signal>
    <signal name="VrrpStopped">
    </signal>
  </interface>
`;

const INSTANCE_XML = `  <interface name="${INSTANCE_INTERFACE}">
    <method name="SendGarp">
    </method>
    <signal name="VrrpStatusChange">
      <arg type="u" name="status">
      </arg>
    </signal>
    <property type="s" name="Name" access="read">
    </property>
    <property type="(us)" name="State" access="read">
    </property>
  </interface>
`;

/** The document for a path: the object's interfaces (if one is registered there) and its children. */
export function introspectXml(object: "vrrp" | "instance" | undefined, children: readonly string[]): string {
  const own = object === "vrrp" ? STANDARD + VRRP_XML : object === "instance" ? STANDARD + INSTANCE_XML : "";
  const nodes = children.map((c) => `  <node name="${c}"/>\n`).join("");
  return `${HEAD}<node>\n${own}${nodes}</node>\n`;
}
