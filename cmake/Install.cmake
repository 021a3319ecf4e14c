# Installs everything besides the binary that a system running pimqttd needs: the systemd unit,
# the sysusers.d entry (user pimqttd, groups gpio and i2c), the udev rule for the GPIO and I2C
# devices, the polkit rule for the host controls, the example configuration and the man pages.
# The Debian package (debian/) installs exactly this with `cmake --install`; debhelper then
# enables the unit and creates the user.
include_guard(GLOBAL)
include(GNUInstallDirs)

# Debian 12 keeps units and udev rules under /lib, not /usr/lib: ask systemd's pkg-config file
# where units go, and fall back to the Debian layout.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_get_variable(PIMQTTD_PC_UNIT_DIR systemd systemdsystemunitdir)
endif()
if(NOT PIMQTTD_PC_UNIT_DIR)
  set(PIMQTTD_PC_UNIT_DIR /lib/systemd/system)
endif()
set(PIMQTTD_SYSTEMD_UNIT_DIR "${PIMQTTD_PC_UNIT_DIR}" CACHE PATH
    "Where the systemd unit is installed")
set(PIMQTTD_SYSUSERS_DIR /usr/lib/sysusers.d CACHE PATH
    "Where the sysusers.d entry is installed")
set(PIMQTTD_UDEV_RULES_DIR /lib/udev/rules.d CACHE PATH
    "Where the udev rule is installed")
# polkitd reads /usr/share/polkit-1/rules.d (the packages') and /etc/polkit-1/rules.d (the
# administrator's, which overrides a file of the same name).
set(PIMQTTD_POLKIT_RULES_DIR ${CMAKE_INSTALL_FULL_DATADIR}/polkit-1/rules.d CACHE PATH
    "Where the polkit rule is installed")
# /etc/pimqttd, also when the prefix is /usr (GNUInstallDirs maps the sysconfdir to /etc then).
set(PIMQTTD_CONFIG_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/pimqttd")

install(FILES ${PROJECT_SOURCE_DIR}/systemd/pimqttd.service
        DESTINATION ${PIMQTTD_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/systemd/pimqttd.sysusers
        DESTINATION ${PIMQTTD_SYSUSERS_DIR}
        RENAME pimqttd.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/60-pimqttd-gpio.rules
        DESTINATION ${PIMQTTD_UDEV_RULES_DIR})
# The host controls: the user pimqttd may reboot, power off and restart pimqttd.service.
install(FILES ${PROJECT_SOURCE_DIR}/polkit/60-pimqttd.rules
        DESTINATION ${PIMQTTD_POLKIT_RULES_DIR})
# The smallest working configuration becomes /etc/pimqttd/config.json (a conffile in the
# package); the annotated one with every key goes to the documentation.
install(FILES ${PROJECT_SOURCE_DIR}/config/minimal.json
        DESTINATION ${PIMQTTD_CONFIG_DIR}
        RENAME config.json)
install(FILES ${PROJECT_SOURCE_DIR}/config/full.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        RENAME config-full.json)
install(FILES ${PROJECT_SOURCE_DIR}/docs/pimqttd.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PROJECT_SOURCE_DIR}/docs/pimqttd.json.5
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
